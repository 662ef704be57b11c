output "ipv4_address" {
  description = "The server's IPv4 address: the A record of each domain, and where CI connects."
  value       = hcloud_primary_ip.ipv4.ip_address
}

output "ipv6_address" {
  description = "The server's IPv6 address (the first of its /64): the AAAA record."
  value       = hcloud_server.app.ipv6_address
}

output "ssh" {
  description = "How to log in."
  value       = "ssh ${var.deploy_user}@${hcloud_primary_ip.ipv4.ip_address}"
}
