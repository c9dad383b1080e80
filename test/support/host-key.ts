// A real ed25519 host key pair made with ssh-keygen for the tests (used nowhere else): user data
// holds a host key, and its size and bytes are measured with a key of the real size.
export const TEST_HOST_KEY = {
    privateKeyOpenssh: `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACD+WK9Imp5shthCK+2PDMXVe6NNvd+XWXcD9R1dz55UDgAAAJhg/savYP7G
rwAAAAtzc2gtZWQyNTUxOQAAACD+WK9Imp5shthCK+2PDMXVe6NNvd+XWXcD9R1dz55UDg
AAAEAG8EqCvrwf1KSYiPyvRtQDCZ1pXljLTGP7rN74kMhz6P5Yr0ianmyG2EIr7Y8MxdV7
o02935dZdwP1HV3PnlQOAAAAEmhvc3Qta2V5LWZvci10ZXN0cwECAw==
-----END OPENSSH PRIVATE KEY-----
`,
    publicKeyOpenssh: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP5Yr0ianmyG2EIr7Y8MxdV7o02935dZdwP1HV3PnlQO host-key-for-tests\n",
};
