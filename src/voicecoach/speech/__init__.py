"""Audio in and out: recognisers, speakers, devices and the command phrase table."""
