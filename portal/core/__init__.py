"""What every branch of every industry shares."""
