// Which input changes replace a resource and which update it in place, per resource type, as the
// providers' schemas say. One table per type; a type not listed updates in place.
//
// command:remote:Command (pulumi-command 1.2.1): `triggers` is the only replaceOnChanges input
//   (provider/pkg/provider/common/inputs.go: `provider:"replaceOnChanges"`); any other change is an
//   Update (remote/commandController.go).
// aws:ec2/instance:Instance: terraform aws_instance ForceNew arguments (ami, key_name, subnet_id,
//   availability_zone, private_ip, instance_market_options, ...); user_data replaces only with
//   user_data_replace_on_change; instance_type is a stop/modify/start in place.
// Other AWS types: terraform's ForceNew arguments of each resource.

// Optional+Computed arguments (`computed`): left out of the program, they keep the value the
//   provider stored, so removing one is no change at all (aws_instance instance_market_options:
//   going from spot to on-demand by leaving it out changes nothing).

/** replaceOn: ForceNew arguments; computed: Optional+Computed ones, whose absence is no change. */
type Rule = { replaceOn: string[]; when?: (inputs: Record<string, any>) => string[]; computed?: string[] };

export const SCHEMA: Record<string, Rule> = {
    "command:remote:Command": { replaceOn: ["triggers"] },
    "aws:ec2/instance:Instance": {
        replaceOn: [
            "ami",
            "keyName",
            "subnetId",
            "availabilityZone",
            "privateIp",
            "instanceMarketOptions",
            "placementGroup",
            "tenancy",
            "hostId",
            "associatePublicIpAddress",
            "ipv6AddressCount",
            "ipv6Addresses",
            "secondaryPrivateIps",
            "networkInterfaces",
            "ebsBlockDevices",
            "ephemeralBlockDevices",
            "launchTemplate",
            "cpuOptions",
            "enclaveOptions",
            "getPasswordData",
            "hibernation",
            "securityGroups",
        ],
        when: (inputs) => (inputs.userDataReplaceOnChange ? ["userData", "userDataBase64"] : []),
        computed: ["instanceMarketOptions", "availabilityZone", "privateIp", "associatePublicIpAddress", "cpuOptions", "ebsOptimized"],
    },
    "aws:ec2/vpc:Vpc": { replaceOn: ["cidrBlock", "instanceTenancy", "ipv4IpamPoolId", "ipv4NetmaskLength"] },
    "aws:ec2/subnet:Subnet": { replaceOn: ["vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId", "ipv6Native", "outpostArn"] },
    "aws:ec2/internetGateway:InternetGateway": { replaceOn: [] },
    "aws:ec2/routeTable:RouteTable": { replaceOn: ["vpcId"] },
    "aws:ec2/routeTableAssociation:RouteTableAssociation": { replaceOn: ["subnetId", "gatewayId"] },
    "aws:ec2/securityGroup:SecurityGroup": { replaceOn: ["name", "namePrefix", "description", "vpcId"] },
    "aws:ec2/keyPair:KeyPair": { replaceOn: ["publicKey", "keyName", "keyNamePrefix"] },
    "aws:lb/loadBalancer:LoadBalancer": { replaceOn: ["name", "namePrefix", "internal", "loadBalancerType"] },
    "aws:lb/targetGroup:TargetGroup": { replaceOn: ["name", "namePrefix", "port", "protocol", "vpcId", "targetType", "protocolVersion"] },
    "aws:lb/listener:Listener": { replaceOn: ["loadBalancerArn"] },
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": { replaceOn: ["targetGroupArn", "targetId", "port", "availabilityZone"] },
    "tls:index/privateKey:PrivateKey": { replaceOn: ["algorithm", "ecdsaCurve", "rsaBits"] },
    // time_offset: base_rfc3339 and triggers replace; a new offset recomputes from the same base.
    "time:index/offset:Offset": { replaceOn: ["baseRfc3339", "triggers"] },
    "pulumiverse:time/offset:Offset": { replaceOn: ["baseRfc3339", "triggers"] },
    // time_static: rfc3339 and triggers replace.
    "time:index/static:Static": { replaceOn: ["rfc3339", "triggers"] },
    "pulumiverse:time/static:Static": { replaceOn: ["rfc3339", "triggers"] },
};

/** The changed keys that force a replacement of a resource of this type. */
export function schemaReplaceKeys(type: string, changed: string[], newInputs: Record<string, any>): string[] {
    const rule = SCHEMA[type];
    if (!rule) return [];
    const replaceOn = new Set([...rule.replaceOn, ...(rule.when?.(newInputs) ?? [])]);
    return changed.filter((key) => replaceOn.has(key.split(".")[0]));
}

/** Output properties the provider's schema marks secret. */
export const SECRET_OUTPUTS: Record<string, string[]> = {
    "tls:index/privateKey:PrivateKey": ["privateKeyOpenssh", "privateKeyPem", "privateKeyPemPkcs8"],
};

/** The inputs as the provider diffs them: an Optional+Computed argument left out keeps its stored value. */
export function withComputedKept(
    type: string,
    oldInputs: Record<string, unknown>,
    newInputs: Record<string, unknown>,
): Record<string, unknown> {
    const kept = (SCHEMA[type]?.computed ?? []).filter((key) => newInputs[key] === undefined && oldInputs[key] !== undefined);
    return kept.length === 0 ? newInputs : { ...newInputs, ...Object.fromEntries(kept.map((key) => [key, oldInputs[key]])) };
}
