#!/bin/sh
# Runs before the files are removed (deb: remove, upgrade or deconfigure;
# rpm: 0 on erase, 1 on upgrade). Stops the agent; on removal also disables
# it. The config and the outbox stay.
set -e

stop() {
	if [ -d /run/systemd/system ]; then
		systemctl stop stolik-agent.service >/dev/null 2>&1 || true
	fi
}

case "$1" in
remove | deconfigure | 0)
	stop
	if command -v systemctl >/dev/null 2>&1; then
		systemctl disable stolik-agent.service >/dev/null 2>&1 || true
	fi
	;;
upgrade)
	# deb: the new postinstall starts the new binary.
	stop
	;;
esac
exit 0
