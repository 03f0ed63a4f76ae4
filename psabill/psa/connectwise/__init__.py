"""ConnectWise Manage: the REST client, its session, answers and wire mapping."""
