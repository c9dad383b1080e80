// The lab's own address space: pod CIDRs and allowedCidr must stay clear of it.
export const VPC_CIDR = "10.42.0.0/16";
export const SUBNET_CIDR = "10.42.1.0/24";
