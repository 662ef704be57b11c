terraform {
  required_version = ">= 1.5"

  required_providers {
    hcloud = {
      source = "hetznercloud/hcloud"
      # 1.67 or later: Hetzner removed `datacenter` from servers and primary IPs, and these
      # files place both by `location`. Any 1.x after that keeps this configuration working.
      version = "~> 1.67"
    }
  }
}

# The API token comes from the HCLOUD_TOKEN environment variable, so it is never written to a
# .tfvars file or to the repository. Terraform's state still holds secrets of its own (the
# rendered cloud-init): keep it out of git (see README.md).
provider "hcloud" {}
