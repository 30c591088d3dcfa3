"""Calls put through by the telephony system: who is calling, and the screen pop for the agent."""
