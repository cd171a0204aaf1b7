"""Each status kind has one owner whose transition function refuses a move its table does not allow."""

import pytest

from service import send_ledger
from service.campaigns import messages
from service.campaigns.messages import MessageTransitionError, move_message
from service.models import Delivery, Message
from service.models.statuses import BatchStatus, DeliveryStatus, MessageStatus
from service.send_ledger import LedgerTransitionError, move_delivery


def test_every_status_has_its_row_in_its_owners_table():
    assert set(messages.TRANSITIONS) == set(MessageStatus)
    assert set(send_ledger.BATCH_TRANSITIONS) == set(BatchStatus)
    assert set(send_ledger.DELIVERY_TRANSITIONS) == {None, *DeliveryStatus}


@pytest.mark.parametrize("before", list(MessageStatus))
def test_a_message_moves_only_as_its_table_allows(before):
    for after in MessageStatus:
        message = Message(id=1, status=before)
        if after == before or after in messages.TRANSITIONS[before]:
            move_message(message, after)
            assert message.status == after
        else:
            with pytest.raises(MessageTransitionError):
                move_message(message, after)
            assert message.status == before


def test_a_cancelled_message_never_moves_again():
    message = Message(id=1, status=MessageStatus.CANCELLED)
    with pytest.raises(MessageTransitionError):
        move_message(message, MessageStatus.SENDING)


def test_sendgrids_events_never_take_a_delivery_back_in_flight():
    delivery = Delivery(id=1, status=DeliveryStatus.DELIVERED)
    move_delivery(delivery, DeliveryStatus.BOUNCED)
    with pytest.raises(LedgerTransitionError):
        move_delivery(delivery, DeliveryStatus.IN_FLIGHT)
    assert delivery.status == DeliveryStatus.BOUNCED


def test_a_new_post_part_starts_in_flight():
    part = Delivery(part_index=0, channel="x")
    with pytest.raises(LedgerTransitionError):
        move_delivery(part, DeliveryStatus.SENT)
    move_delivery(part, DeliveryStatus.IN_FLIGHT)
    assert part.status == DeliveryStatus.IN_FLIGHT
