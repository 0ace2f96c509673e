"""proxmoxer against the sandbox's Proxmox fake (its HTTPS side), unchanged:
what a third-party client does - token and ticket auth, nextid, clone, task
wait, config with urlencoded sshkeys, start, status and PVE's errors. Run by
the sandbox's Rust test `proxmox::proxmoxer_works_unchanged`; exits non-zero
on any mismatch."""

import os
import sys
from urllib.parse import quote

from proxmoxer import ProxmoxAPI, ResourceException
from proxmoxer.tools import Tasks

HOST, PORT = os.environ["PVE_HOST"].rsplit(":", 1)
NODE = "pve-jkt-1"


def check(condition, what):
    if not condition:
        print("FAILED:", what)
        sys.exit(1)
    print("ok:", what)


def connect(**auth):
    # proxmoxer always speaks https; the fake's certificate is self-signed.
    return ProxmoxAPI(HOST, port=int(PORT), verify_ssl=False, service="PVE", **auth)


token = connect(
    user=os.environ["PVE_TOKEN_USER"],
    token_name=os.environ["PVE_TOKEN_NAME"],
    token_value=os.environ["PVE_TOKEN_SECRET"],
)
ticket = connect(user=os.environ["PVE_USER"], password=os.environ["PVE_PASSWORD"])

for label, pve in (("token", token), ("ticket", ticket)):
    check(pve.version.get()["version"] == "8.2.4", f"{label}: version")
    nodes = [n["node"] for n in pve.nodes.get()]
    check(nodes == ["pve-jkt-1", "pve-jkt-2", "pve-sg-1"], f"{label}: nodes")
    templates = sorted(vm["vmid"] for vm in pve.nodes(NODE).qemu.get() if vm.get("template") == 1)
    check(templates == [9000, 9001, 9002, 9003, 9004], f"{label}: templates")

# Writes with a ticket carry the CSRF token proxmoxer got at login.
newid = int(ticket.cluster.nextid.get())
upid = ticket.nodes(NODE).qemu(9000).clone.post(newid=newid, name="proxmoxer-vm", full=1)
check(upid.startswith(f"UPID:{NODE}:") and ":qmclone:9000:root@pam:" in upid, "clone answers a UPID")
status = Tasks.blocking_status(ticket, upid, timeout=30, polling_interval=0.1)
check(status is not None and status["exitstatus"] == "OK", "the clone task ends OK")

keys = quote("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI+k/x= budi@laptop\n", safe="")
token.nodes(NODE).qemu(newid).config.post(
    ciuser="budi", cipassword="rahasia", sshkeys=keys, ipconfig0="ip=10.0.0.5/24,gw=10.0.0.1",
    cores=2, memory=2048,
)
config = token.nodes(NODE).qemu(newid).config.get()
check(config["sshkeys"] == keys and config["cipassword"] == "**********", "config round trip")

try:
    token.nodes(NODE).qemu(newid).config.post(sshkeys="ssh-ed25519 AAAA raw@key")
    check(False, "a raw sshkeys value is refused")
except ResourceException as error:
    check(error.status_code == 400 and "sshkeys" in (error.errors or {}), "a raw sshkeys value is 400")

upid = token.nodes(NODE).qemu(newid).status.start.post()
status = Tasks.blocking_status(token, upid, timeout=30, polling_interval=0.1)
check(status["exitstatus"] == "OK", "start ends OK")
check(token.nodes(NODE).qemu(newid).status.current.get()["status"] == "running", "running")

try:
    token.nodes(NODE).qemu(newid).status.start.post()
    check(False, "a second start fails")
except ResourceException as error:
    check(error.status_code == 500 and "already running" in str(error), "already running is 500")

try:
    token.nodes(NODE).qemu(9000).clone.post(newid=newid)
    check(False, "a clone to a taken id fails")
except ResourceException as error:
    check("already exists" in str(error), "already exists")
print("proxmoxer: all good")
