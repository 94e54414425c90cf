#!/bin/sh
# Runs after the files are in place (deb: configure OLD-VERSION; rpm: 1 on
# install, 2 on upgrade). Gives the config and the data directory to the
# service account, then enables and (re)starts the unit where systemd runs.
# Without systemd running (a container, a chroot) it only says how to start
# the agent.
set -e

case "$1" in
abort-upgrade | abort-remove | abort-deconfigure) exit 0 ;;
esac

chown root:stolik /etc/stolik
chmod 0750 /etc/stolik
if [ -f /etc/stolik/agent.yaml ]; then
	chown stolik:stolik /etc/stolik/agent.yaml
	chmod 0600 /etc/stolik/agent.yaml
fi
mkdir -p /var/lib/stolik
chown stolik:stolik /var/lib/stolik
chmod 0700 /var/lib/stolik

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
	systemctl enable stolik-agent.service >/dev/null 2>&1 || true
	systemctl restart stolik-agent.service || true
elif command -v systemctl >/dev/null 2>&1; then
	# Enable for the next boot; enabling works without a running systemd.
	systemctl enable stolik-agent.service >/dev/null 2>&1 || true
	echo "stolik-agent: systemd is not running; start the agent by hand:" \
		"runuser -u stolik -- /usr/bin/stolik-agent run --service" \
		"--config /etc/stolik/agent.yaml"
fi

if ! grep -q '^ *agent_id: *[^ "]' /etc/stolik/agent.yaml 2>/dev/null; then
	echo "stolik-agent: installed; now enroll it:" \
		"sudo stolik-agent enroll --hub https://HUB --code CODE"
fi
exit 0
