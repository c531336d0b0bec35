// X-Wing encapsulation with caller-supplied entropy, from the BoringSSL that swift-crypto builds
// into every program that links its Crypto product (its symbols carry the prefix
// CCryptoBoringSSL_). swift-crypto's Swift API encapsulates only with its own randomness; the
// envelope sealer needs the 64 bytes of entropy from its injected random source, like every
// other random byte of a seal, so that the known-answer vector of format 2 is reproducible
// (docs/envelope.md, "Format 2").
#include <stdint.h>

int CCryptoBoringSSL_XWING_encap_external_entropy(
    uint8_t out_ciphertext[1120],
    uint8_t out_shared_secret[32],
    const uint8_t encoded_public_key[1216],
    const uint8_t eseed[64]);
