"""The agents' live console: the /console Socket.IO namespace."""
