// The Kubernetes script tests' sandbox: k8s-tools (test/stubs) standing in for kubeadm, kubectl,
// containerd, crictl, apt-get, pgrep, ..., with the files kubeadm prints or reads.
import { expect } from "vitest";
import { sandbox, Sandbox } from "./sandbox";

export const TOKEN = "abcdef.0123456789abcdef";
export const CA_HASH = `sha256:${"ab".repeat(32)}`;
export const CERT_KEY = "f".repeat(64);
export const JOIN_LINE = `kubeadm join k8s-api:6443 --token ${TOKEN} --discovery-token-ca-cert-hash ${CA_HASH} `;

/** containerd 2's `containerd config default`, cut to the runc options. */
export const CONTAINERD_DEFAULT = `version = 3
[plugins]
  [plugins.'io.containerd.cri.v1.runtime']
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes]
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
          runtime_type = 'io.containerd.runc.v2'
          [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
            BinaryName = ''
            SystemdCgroup = false
`;

/** A sandbox whose k8s-tools print a join line and a certificate key, with pgrep, crictl and iptables stubbed too. */
export function k8sBox(): Sandbox {
    const box = sandbox({ stubs: ["pgrep=k8s-tools", "crictl=k8s-tools", "iptables=k8s-tools"], kubernetes: true });
    box.file("join-line", JOIN_LINE + "\n");
    box.file("cert-key", CERT_KEY);
    box.file("containerd-default.toml", CONTAINERD_DEFAULT);
    return box;
}

/** No token, certificate key or its tail anywhere in this text. */
export function expectNoSecret(text: string): void {
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain("0123456789abcdef");
    expect(text).not.toContain(CERT_KEY);
}
