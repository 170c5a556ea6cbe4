"""Fitted weights of the answer scorer (see `index.fit_scorer`)."""
