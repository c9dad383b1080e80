// Public keys made with ssh-keygen for the config tests (their private halves were thrown away):
// one of each kind an operator may paste into lab:sshPublicKey.
export const PUBLIC_KEYS = {
    ed25519: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGuMMBQNZBdaMTEHR272mzpBWvlsUmCdpiH/Z/M+0NSU student@laptop",
    rsa2048:
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDA6HjN9k7H4KFv5A1qD/wqpEKBXvmDAfvWKURSfm2aHtFwZ+Xp8vtt4YCMQS+hY1EO9ORwxZXZVYc5iL6vbhJ8/W/rqzP4EXme/u3HKidOu7eP+yjPOSdICL+Hh/LmegUVxHzKYp83NOWldV0Np/tuONBjU9Iz5b8E8BoCcJznA+j9mY2mASGP7sDUMw/QbyX8x07OhaHLcHiXHbFTwKk6ez9WNYVFR/BgXJ7qUwPrhBS8Q6lmUb/zlQXkond1Jh/Q6ObvRpJjYw1MFw+URlzUTejrGAx4kMCPNcUzMAN3jmRJyb7xiHmtFCnlGCAzZXbl+h8ue1k3DToH+jsFpzgp student@laptop",
    rsa3072:
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQC+FpOj6WLPq6BVJJZtfQz+EDdM0l34ztvpds7EgHxO4w/0eggseYkfp/hGMp2g+SrtUPI7iWKPL0PN+59mu10UFunboWAIlqG9NegpFRteykMWWftAhIwjizLoe6tehYmiKJIZKw4BGhTlR+3blsCBr2y6Aoje8nLysjmqaElXOw0dPa4a5Mh6Vz9HhFVeF9lPi2reniZj3FsfS0Ra3YzOnXDbHynQjnOfsc8/Onl6OEsmJw0e2HWs/svTz1hklniRu3+LkZRpjwcBJl1cHHnor+eee00WqT7mOuJnlVlCeTi9oHlL4GfZqn1Em5gypHDpo1Feh1feBgP9mdT7Cu+8m1RCKZbeJMtdMOri1bKeL5odbREFzvU2FoaTKHIMU2QqaTLouYy8UGUl4N+35Ju5gfpgLWeWGomJu5z0MgTfiYl1Ar24bmakRY+woWzG/7mg60mqF5iZBoIStxW2r1nkknQEdQ7Sx+XrjaCgvzdYyuXFqCbs+DccWcEriYWOios= student@laptop",
    rsa4096:
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAACAQCzRpOcZn2N29phjbBQtH1WfjhbujvzpLSyl1v+d588/TzMDp2WHxASyyS/vJ59Za8JHVpTeVA6ycYSjPE8aAfEG0RE/NbllNAuQpCnLCIZTlmWsWN12p84MEHE7KFvVoK+9QXRJmkw29dohTQ5C6b7oYQlY9ofDwtBBebBc77xaDgeBHsevKZ7jeq4dwocNwK3xUyYdVO+r3SEzpqy2gQiG9JaelxFh1bVkf0gw94hGaaWgOEYUOZxbzlVfFIy8dfJdBg3tZf2V4GTy62kS6rFO/SLn3jv0dvVLmPpZLzTnhyunBjFqJ9lLRQkK184RN1/XqyW4t7fSlMdLWNw5QU/F1FClB7HYXQaYKfUVplPwbpxy9yftvYUNBGbjVA7orunto6mWt1pFCJYI0NAtwSLUb2LVvz+XCBDRI3CKLGf4f7MMFbK6FVeetZ5TWqj011zSeitojCeWrsSomQb7JfLQiKrZjlxoEONpyN2dN4RlyaHWa788ZkKtymqyUDIBnbBVtOnQ0sZYS1bp1voSrPCJPUDwLya2xaBN0av9PhqqlB5GcczLny5OLWRxrf5bjQsL199/P//Ot15XbG2TKRiSxobBr7rMWRbg24ZQIw4tRY6O2JFCylJ2fEd7wZhdzQeNm0z9wXRgfJWdX77zCkBkCd0BPuMx+LTZqfNoRSJiQ== student@laptop",
    rsa1024:
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCyLcEXTOPDw99EUs/GIixhJ4EGyw6saLIm5Fwppm8oOD6a5DoyNYHv1gBs/N4Ognz78ehDr+AmkAkSffLOoFMFhwB6USFN84+zc9AEFu5f3x+Y4JrmA+TcuLZyQlPpaZCh5PtUSuj9CF0B+Az/6IAwhP3zaZXWLJke5GImOS0oOw== student@laptop",
    ecdsa256:
        "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEQ+bIb7P8ZxDdzou4YPWyP3bdD6LMecj6fRvwTE9qF2xhiiPWfFVjEh2LXlF1QlLc+ZNMpFaDSIlMSFlnsZZBI= student@laptop",
    ecdsa521:
        "ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBABDvqkBW2ju06eUihSaTrXlkL5XY0wkGBFmdWEsBCOjLeTXu2oURafpS/8nnaGzgJIiSmfYWiO0AduG05yhEgKjJQCucGYA3Wg3JO93lsOLI00qTz49XR+0KksKLnw33kpHRrOGrhYkNA0Y6/kWGyV/evuAQbsQrZlms6vdyOmIfYUBtw== student@laptop",
} as const;

/** The operator's own key in the tests that bring one. */
export const OPERATOR_PUBLIC_KEY = PUBLIC_KEYS.ed25519.replace("student@laptop", "OperatorKey@laptop");
