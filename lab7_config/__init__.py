"""Lab 7: the user service of labs 1-3, with real-time chat rooms over WebSocket on its HTTP port."""
