"""auth: accounts, roster, registration, login, tokens, password recovery and employer sign-up."""
