/// Which code computed a cached run. Every run's cache key starts with its model's version, so
/// a labelaudit whose fitting, features or command protocol gives different numbers refits
/// instead of showing runs an older build stored. Bump a version with any change that moves
/// a probability; `LatentFitIsPinnedTests` fails when the latent fit moves, as a reminder.
package enum CachedRunVersion {
    /// 2: standardisation folded into the weights, early stop with one refinement step.
    package static let latent = 2
    /// 2: eye band at 512 px, 24 x 8 HOG cells + 12 x 4 colour, nested C choice (the feature
    /// vectors cached per file carry their own version, `HOGFeatures.version`).
    package static let image = 2
    /// The request and answer format of `--model-cmd` runs.
    package static let command = 2
}
