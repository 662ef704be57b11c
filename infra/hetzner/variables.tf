variable "name" {
  description = "Name of the server, and the prefix of every other resource."
  type        = string
  default     = "shipshape"
}

# The defaults below are names Hetzner's API accepted when these files were written; where each
# comes from, and what to run before the first apply, is in docs/deploy/hetzner.md ("Check on
# first deploy"). The plan warns when the server type is not sold in the location (main.tf).

variable "location" {
  description = "Hetzner location: fsn1, nbg1, hel1 (Europe), ash, hil (US), sin. Primary IPs live in one location, so the server must stay there. List: `hcloud location list`."
  type        = string
  default     = "nbg1"
}

variable "server_type" {
  description = "Server type (x86: the images are built for linux/amd64). cx23 replaced cx22 when Hetzner retired the CX Gen 2 types at the end of 2025. List: `hcloud server-type list`; not every type is sold in every location."
  type        = string
  default     = "cx23"
}

variable "image" {
  description = "Operating system image. cloud-init.yaml installs Docker for Debian and Ubuntu alike. List: `hcloud image list --type system --architecture x86`."
  type        = string
  default     = "debian-13"
}

variable "ssh_public_key" {
  description = "A public key for Terraform to add to the Hetzner project and give the deploy user (for example the contents of ~/.ssh/id_ed25519.pub). CI deploys with its private half. Leave it unset when existing_ssh_key is set."
  type        = string
  default     = null
}

variable "existing_ssh_key" {
  description = "The name or fingerprint (as `hcloud ssh-key list` shows it) of a key already in the Hetzner project, used instead of creating one: Hetzner refuses the same key twice. Its public key is what the deploy user gets."
  type        = string
  default     = null
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
