/// SplitMix64: a small, seedable generator for the randomised tests, so that a failing run can be replayed from
/// its printed seed. One generator for every test target: the same seed gives the same sequence everywhere.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    /// The seed the generator started from (for failure messages).
    public let seed: UInt64
    private var state: UInt64

    public init(seed: UInt64) {
        self.seed = seed
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next(in range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    public mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
    public mutating func bool() -> Bool { next() & 1 == 1 }
}
