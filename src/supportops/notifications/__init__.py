"""In-app notifications: what a person should look at, kept until they mark it read."""
