# One Hetzner Cloud server for Shipshape: Docker and the compose file run staging and production
# side by side (docs/deploy/hetzner.md). What each resource is for:
#   hcloud_ssh_key      the key the server is created with (cloud-init gives it to the deploy user)
#   hcloud_firewall     drops everything but SSH, HTTP and HTTPS before it reaches the server
#   hcloud_primary_ip   the public addresses, kept when the server is replaced, so DNS stays right
#   hcloud_server       the machine, set up at first boot by cloud-init.yaml

locals {
  labels   = { app = "shipshape", managed-by = "terraform" }
  anywhere = ["0.0.0.0/0", "::/0"]
}

resource "hcloud_ssh_key" "deploy" {
  name       = "${var.name}-deploy"
  public_key = var.ssh_public_key
  labels     = local.labels
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
  ssh_keys     = [hcloud_ssh_key.deploy.id]
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
    ssh_public_key = var.ssh_public_key
  })

  lifecycle {
    # cloud-init runs once, at the first boot, and the disk holds the database: an edited
    # cloud-init.yaml or a newer image must not replace the server on the next apply. Replace it
    # on purpose, after a backup: terraform apply -replace=hcloud_server.app
    ignore_changes = [user_data, image, ssh_keys]
  }
}
