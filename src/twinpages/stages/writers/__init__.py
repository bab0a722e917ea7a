"""Writers: what `mine` leaves in its output folder. Every file is written whole or not at all."""
