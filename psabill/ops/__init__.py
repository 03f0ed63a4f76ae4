"""Operations: monitoring pings, systemd/cron units, JSON logging."""
