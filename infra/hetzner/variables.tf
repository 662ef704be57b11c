variable "name" {
  description = "Name of the server, and the prefix of every other resource."
  type        = string
  default     = "shipshape"
}

variable "location" {
  description = "Hetzner location: fsn1, nbg1, hel1 (Europe), ash, hil (US), sin. Primary IPs live in one location, so the server must stay there."
  type        = string
  default     = "nbg1"
}

variable "server_type" {
  description = "Server type. Check `hcloud server-type list`: the cheapest types are renamed every few years and are not sold in every location."
  type        = string
  default     = "cx23"
}

variable "image" {
  description = "Operating system image. cloud-init.yaml installs Docker for Debian and Ubuntu alike."
  type        = string
  default     = "debian-12"
}

variable "ssh_public_key" {
  description = "The public key allowed to log in as the deploy user (for example the contents of ~/.ssh/id_ed25519.pub). CI deploys with its private half."
  type        = string
}

variable "deploy_user" {
  description = "The non-root user that owns the checkout and runs deploy/vps/deploy.sh."
  type        = string
  default     = "deploy"
}

variable "ssh_source_ips" {
  description = "Networks allowed to reach SSH (port 22). Everyone by default, since CI runners have no fixed address; narrow it if yours do."
  type        = list(string)
  default     = ["0.0.0.0/0", "::/0"]
}

variable "backups" {
  description = "Hetzner's daily server backups (7 kept, 20% of the server price). The database lives on this disk."
  type        = bool
  default     = true
}
