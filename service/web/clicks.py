"""Tidings' own click redirect: /r/<token> adds one to the link's total and sends the reader on (thin)."""

from flask import Blueprint, Response, current_app, redirect

from service.extensions import csrf, db
from service.outgoing.click_links import ClickTokenError, follow_click
from service.signing_keys import signing_keys

blueprint = Blueprint("clicks", __name__)


@blueprint.get("/r/<token>")
@csrf.exempt
def follow(token: str):
    try:
        url = follow_click(db.session, signing_keys(current_app.config), token)
    except ClickTokenError:
        return Response("This link is not valid.\n", 404, mimetype="text/plain")
    db.session.commit()
    return redirect(url, 302)
