# One Hetzner Cloud server for Shipshape: Docker and the compose file run staging and production
# side by side (docs/deploy/hetzner.md). What each resource is for:
#   hcloud_ssh_key      the key the server is created with (cloud-init gives it to the deploy user),
#                       or the data source of the same name when the key is already in the project
#   hcloud_firewall     drops everything but SSH, HTTP and HTTPS before it reaches the server
#   hcloud_primary_ip   the public addresses, kept when the server is replaced, so DNS stays right
#   hcloud_server       the machine, set up at first boot by cloud-init.yaml

locals {
  labels   = { app = "shipshape", managed-by = "terraform" }
  anywhere = ["0.0.0.0/0", "::/0"]
}

# Hetzner refuses a second copy of a key already in the project ("SSH key with the same
# fingerprint already exists (uniqueness_error)", terraform-provider-hcloud#12), and a key you
# log in with elsewhere usually is. So: either name that key in existing_ssh_key and read it
# with the data source, or give ssh_public_key and let Terraform create one.
locals {
  # Hetzner shows a key's fingerprint as MD5 in colon-separated hex (16 pairs); anything else
  # is taken as the key's name. The data source takes exactly one of name and fingerprint
  # (internal/sshkey/data_source.go in hetznercloud/terraform-provider-hcloud).
  existing_by_fingerprint = can(regex("^([0-9a-f]{2}:){15}[0-9a-f]{2}$", coalesce(var.existing_ssh_key, "-")))

  # one() of an empty list is null, so only the branch that exists is ever read.
  ssh_key_id = (
    var.existing_ssh_key == null
    ? one(hcloud_ssh_key.deploy[*].id)
    : tostring(one(data.hcloud_ssh_key.existing[*].id))
  )
  ssh_public_key = (
    var.existing_ssh_key == null
    ? var.ssh_public_key
    : one(data.hcloud_ssh_key.existing[*].public_key)
  )
}

data "hcloud_ssh_key" "existing" {
  count       = var.existing_ssh_key == null ? 0 : 1
  name        = local.existing_by_fingerprint ? null : var.existing_ssh_key
  fingerprint = local.existing_by_fingerprint ? var.existing_ssh_key : null
}

resource "hcloud_ssh_key" "deploy" {
  count      = var.existing_ssh_key == null ? 1 : 0
  name       = "${var.name}-deploy"
  public_key = var.ssh_public_key
  labels     = local.labels

  lifecycle {
    precondition {
      condition     = var.ssh_public_key != null
      error_message = "Set ssh_public_key (Terraform creates the key) or existing_ssh_key (the name or fingerprint of a key already in the project)."
    }
  }
}

# Before count was added the key had no index; this keeps a key created then (explicit moves
# are what Terraform's internal/refactoring/move_statement.go recommends over its implied ones).
moved {
  from = hcloud_ssh_key.deploy
  to   = hcloud_ssh_key.deploy[0]
}


# Filters traffic in Hetzner's network, before the server sees it. Docker publishes ports with
# its own NAT rules that a firewall on the server (ufw) never sees, so this is the layer that
# holds whatever a compose file publishes by mistake (docs/deploy/hetzner.md explains).
resource "hcloud_firewall" "web" {
  name   = "${var.name}-web"
  labels = local.labels

  rule {
    description = "SSH, for deploys and administration"
    direction   = "in"
    protocol    = "tcp"
    port        = "22"
    source_ips  = var.ssh_source_ips
  }

  rule {
    description = "HTTP: Let's Encrypt's challenge and the redirect to HTTPS"
    direction   = "in"
    protocol    = "tcp"
    port        = "80"
    source_ips  = local.anywhere
  }

  rule {
    description = "HTTPS"
    direction   = "in"
    protocol    = "tcp"
    port        = "443"
    source_ips  = local.anywhere
  }

  rule {
    description = "HTTP/3 (QUIC), which Caddy offers on the same port"
    direction   = "in"
    protocol    = "udp"
    port        = "443"
    source_ips  = local.anywhere
  }

  # Rules cover incoming traffic only: answers to the server's own connections (apt, the image
  # registry, Let's Encrypt) are let back in, and nothing outgoing is filtered.
}

# A server created without primary IPs gets new ones, deleted along with it: replacing the
# server (a new image, a bigger type in another generation) would change its address and break
# DNS. These exist on their own; auto_delete = false and prevent_destroy keep them.
resource "hcloud_primary_ip" "ipv4" {
  name          = "${var.name}-ipv4"
  type          = "ipv4"
  location      = var.location
  assignee_type = "server"
  auto_delete   = false
  labels        = local.labels

  lifecycle {
    prevent_destroy = true
  }
}

resource "hcloud_primary_ip" "ipv6" {
  name          = "${var.name}-ipv6"
  type          = "ipv6"
  location      = var.location
  assignee_type = "server"
  auto_delete   = false
  labels        = local.labels

  lifecycle {
    prevent_destroy = true
  }
}

resource "hcloud_server" "app" {
  name         = var.name
  server_type  = var.server_type
  image        = var.image
  location     = var.location
  ssh_keys     = [local.ssh_key_id]
  firewall_ids = [hcloud_firewall.web.id]
  backups      = var.backups
  labels       = local.labels

  public_net {
    ipv4_enabled = true
    ipv4         = hcloud_primary_ip.ipv4.id
    ipv6_enabled = true
    ipv6         = hcloud_primary_ip.ipv6.id
  }

  user_data = templatefile("${path.module}/cloud-init.yaml", {
    deploy_user    = var.deploy_user
    ssh_public_key = local.ssh_public_key
  })

  lifecycle {
    # cloud-init runs once, at the first boot, and the disk holds the database: an edited
    # cloud-init.yaml or a newer image must not replace the server on the next apply. Replace it
    # on purpose, after a backup: terraform apply -replace=hcloud_server.app
    ignore_changes = [user_data, image, ssh_keys]
  }
}

# The server type as Hetzner's API describes it, so that the plan says so when the type is not
# sold in the chosen location, or is built for another CPU: CI builds the images for
# linux/amd64 only (no `platforms` in .github/workflows/ci.yml), so an Arm type (cax*) could
# not run them. A check, not a precondition: its failures are warnings (a data source nested
# in a check block cannot fail the plan either), so a running server's plans keep working when
# Hetzner later stops selling or retires its type. Read the warnings before the first apply.
check "server_type" {
  data "hcloud_server_type" "app" {
    name = var.server_type
  }

  assert {
    condition = contains(
      [for place in data.hcloud_server_type.app.locations : place.name if place.available],
      var.location,
    )
    error_message = "Server type ${var.server_type} is not available in ${var.location}: see `hcloud server-type describe ${var.server_type}` and choose another type or location."
  }

  assert {
    condition     = data.hcloud_server_type.app.architecture == "x86"
    error_message = "Server type ${var.server_type} is not x86; the images are built for linux/amd64 only."
  }
}
