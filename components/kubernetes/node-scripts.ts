import { scriptIn } from "../remote";

const at = (name: string) => scriptIn(`${__dirname}/scripts`, name);

/** The Kubernetes lab's node scripts. */
export const K8S_SCRIPTS = {
    install: at("k8s-install.sh"),
    init: at("k8s-init.sh"),
    cni: at("k8s-cni.sh"),
    joinCommand: at("k8s-join-command.sh"),
    join: at("k8s-join.sh"),
    nodeReady: at("k8s-node-ready.sh"),
    removeNode: at("k8s-remove-node.sh"),
    kubeconfig: at("k8s-kubeconfig.sh"),
    loginKubectl: at("k8s-login-kubectl.sh"),
    serviceLoadBalancer: at("k8s-service-lb.sh"),
    /** Not a step: the daemon k8s-service-lb.sh installs. */
    serviceLoadBalancerController: at("service-lb-controller.sh"),
};
