"""The text of the scheduler files psabill writes, as ``str.format`` templates.

Owns the wording: the comments a reader of ``/etc/systemd/system/psabill.service`` or
``/etc/cron.d/psabill`` sees, and the fixed settings (hardening, timer schedule, cron shell).
:mod:`psabill.ops.units` fills in the parts that depend on the setup (command line, paths,
secrets). The shipped ``examples/`` are this text for the default paths, and a test keeps them
identical, so changing a word here means regenerating them.
"""

SYSTEM_SERVICE = """\
# /etc/systemd/system/psabill.service - written by `psabill units systemd`
#
# One `psabill sync`; psabill.timer starts it every hour. psabill decides from
# its ledger whether a billing run is due: when nothing is, it exits 0 at once
# (after its monitoring heartbeat, if [monitoring] ping_url is set).
#
#   systemctl daemon-reload && systemctl enable --now psabill.timer
#   systemctl start psabill.service      # one run now (runs only what is due)
#   journalctl -u psabill                # what the runs said
#
# The service runs as a throwaway user (DynamicUser=) that can read the config
# but nothing in /home or /root, and write only its state directory. So the
# config must be world-readable and hold no literal secret: write each secret as
#   private_key = "file:{credential_dir}/cw_private_key"
# and keep the secret itself in a root-only (0600) file named by LoadCredential=.

[Unit]
Description=psabill: sync vendor seat counts into the PSA when billing is due
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart={exec_start}
Environment=PYTHONUNBUFFERED=1
# A hung run is stopped before the next hourly start; the ledger makes the retry safe.
TimeoutStartSec=50min
SyslogIdentifier=psabill
LogRateLimitIntervalSec=0

# The ledger lives in /var/lib/<StateDirectory> ($STATE_DIRECTORY, which psabill reads).
DynamicUser=yes
{state_and_secrets}

# Hardening: psabill needs the network and its state directory, nothing else.
# A `command` usage source that runs a JIT (node, java, dotnet) needs
# MemoryDenyWriteExecute=no; [notify] transport = "folder" needs ReadWritePaths=.
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectClock=yes
ProtectControlGroups=yes
ProtectHostname=yes
ProtectKernelLogs=yes
ProtectKernelModules=yes
ProtectKernelTunables=yes
ProtectProc=invisible
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM
CapabilityBoundingSet=
AmbientCapabilities=
"""

USER_SERVICE = """\
# ~/.config/systemd/user/psabill.service - written by `psabill units systemd --user`
#
# One `psabill sync`, as you; psabill.timer starts it every hour and psabill
# decides from its ledger whether a billing run is due.
#
#   systemctl --user daemon-reload && systemctl --user enable --now psabill.timer
#   loginctl enable-linger "$USER"       # keep running while you are logged out
#   journalctl --user -u psabill

[Unit]
Description=psabill: sync vendor seat counts into the PSA when billing is due

[Service]
Type=oneshot
ExecStart={exec_start}
Environment=PYTHONUNBUFFERED=1
{extra}TimeoutStartSec=50min
UMask=0077
NoNewPrivileges=yes
"""

TIMER = """\
# {where}/psabill.timer - written by `{how}`
#
# Starts psabill.service every hour. The hour is only a heartbeat: billing
# happens when psabill's [schedule] (in the account's time zone) says a period
# is due. Persistent=true makes up one missed start after the machine was off;
# RandomizedDelaySec spreads the load on the PSA.
#
#   {ctl} list-timers psabill.timer

[Unit]
Description=Hourly psabill heartbeat (psabill decides whether billing is due)

[Timer]
OnCalendar=hourly
Persistent=true
RandomizedDelaySec=5m

[Install]
WantedBy=timers.target
"""

SYSTEM_CRON = """\
# /etc/cron.d/psabill - written by `psabill units cron`
#
# Runs psabill every hour as the user psabill; psabill decides from its ledger
# whether a billing run is due. With -q, a run that is not due or that succeeds
# prints nothing, so cron mails only problems (drop -q for a mail per real run).
# A second run while one is still going exits 75 at once: psabill locks itself.
#
# Setup (as root):
#   useradd --system --home-dir /var/lib/psabill --shell /usr/sbin/nologin psabill
#   install -d -o psabill -g psabill -m 0700 {state}
#   chgrp psabill {config} && chmod 0640 {config}
# Secrets: cron cannot hand them over safely; write them in the config as
# "file:/etc/psabill/cw_private_key" (a file owned by psabill, mode 0600).
# The file name must have no dot: cron ignores /etc/cron.d/psabill.cron.

SHELL=/bin/sh
PATH=/usr/local/bin:/usr/bin:/bin
# MAILTO=billing-ops@example.com

0 * * * * psabill {line}
"""

USER_CRON = """\
# psabill, hourly, as you - add this to your crontab with `crontab -e`.
# psabill decides from its ledger whether a billing run is due; with -q it
# prints nothing unless something went wrong, so cron mails only problems.
0 * * * * {line}
"""
