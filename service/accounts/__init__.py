"""Staff accounts: passwords, signing in, two-factor codes, and the team an admin manages. No Flask in here."""
