#!/bin/sh
# Runs before the files are unpacked, on install and upgrade (deb: install
# or upgrade; rpm: 1 or 2). Creates the system account the agent runs as.
set -e

if ! getent group stolik >/dev/null 2>&1; then
	groupadd --system stolik
fi
if ! getent passwd stolik >/dev/null 2>&1; then
	nologin=$(command -v nologin 2>/dev/null || echo /bin/false)
	useradd --system --gid stolik --home-dir /var/lib/stolik --no-create-home \
		--shell "$nologin" --comment "Stolik agent" stolik
fi
exit 0
