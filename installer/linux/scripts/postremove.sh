#!/bin/sh
# Runs after the files are removed (deb: remove, purge, upgrade, ...; rpm:
# 0 on erase, 1 on upgrade). A purge (deb) deletes the outbox, the log and
# the config; a removal keeps them for a later install.
set -e

case "$1" in
purge)
	rm -rf /var/lib/stolik
	rm -f /etc/stolik/agent.yaml /etc/stolik/.agent.yaml-*
	rmdir /etc/stolik 2>/dev/null || true
	;;
esac
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
