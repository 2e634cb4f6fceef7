package signing

import "fmt"

// Algorithm names one of the two signature schemes Amazon Pay accepts. The
// name is sent in the Authorization header and is the first line of the
// string to sign, so it must match the salt length used.
type Algorithm string

// The algorithms Amazon Pay accepts.
const (
	// AlgorithmV1 is RSASSA-PSS with a 20-byte salt, the official SDKs'
	// historical default.
	AlgorithmV1 Algorithm = "AMZN-PAY-RSASSA-PSS"
	// AlgorithmV2 is RSASSA-PSS with a 32-byte salt; Amazon recommends it and
	// apaykit uses it by default.
	AlgorithmV2 Algorithm = "AMZN-PAY-RSASSA-PSS-V2"
)

// ParseAlgorithm accepts exactly one of the two algorithm names. An empty
// string is an error: callers pick their default explicitly.
func ParseAlgorithm(s string) (Algorithm, error) {
	switch Algorithm(s) {
	case AlgorithmV1, AlgorithmV2:
		return Algorithm(s), nil
	}
	return "", fmt.Errorf("signing: unknown algorithm %q (want %s or %s)", s, AlgorithmV1, AlgorithmV2)
}

// SaltLength is the PSS salt length the algorithm name promises; a signature
// made with the other length does not verify.
func (a Algorithm) SaltLength() int {
	if a == AlgorithmV1 {
		return 20
	}
	return 32
}

// Valid reports whether a is one of the two known algorithms.
func (a Algorithm) Valid() bool { return a == AlgorithmV1 || a == AlgorithmV2 }
