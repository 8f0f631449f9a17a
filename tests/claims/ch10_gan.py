"""Claims of chapter 10, generative adversarial networks: every number its prose glues."""

from tests.claims import at_least, at_most, between

CLAIMS = {
    # The optimal discriminator checked: "within 0.02 of (gan-dstar) everywhere" on [-2, 3].
    "dstar_max_gap": at_most(0.03),
    # JSD(N(0,1) || N(1.5, 0.7^2)) by quadrature, and -log 4 + 2 JSD.
    "dstar_jsd": between(0.287, 0.289),
    "dstar_v_optimal": between(-0.812, -0.809),
    # No discriminator exceeds D*: the trained one is below it, and close ("short by").
    "dstar_v_trained": between(-0.83, -0.8107),
    "dstar_v_shortfall": between(1e-6, 1e-2),
    # Saturating vs non-saturating at D(G(z)) = 0.001: sigma(s) and 1 - sigma(s).
    "sat_small_d": between(0.00095, 0.00105),
    "sat_grad_at_small_d": between(0.00095, 0.00105),
    "nonsat_grad_at_small_d": between(0.998, 1.0),
    # The 1-D GAN lands on the data: mean 2, standard deviation 0.5.
    "oned_final_mean": between(1.9, 2.1),
    "oned_final_std": between(0.45, 0.55),
    # Ring of eight Gaussians, five seeds, one recipe (tanh generator, batches of 384,
    # 1,200 steps, decay from step 960) in both arms. The prose: the packed GAN (the
    # remedy) meets the target (>= 7.5 modes, >= 85% high quality on average); "so does
    # the plain GAN", which ends with every mode on every seed ("not collapsed", "no
    # missing mode to recover"), and packing's quality is a few points "lower".
    "ring_n_seeds": between(5, 5),
    "ring_steps": between(1200, 1200),
    "ring_batch": between(384, 384),
    "ring_decay_from": between(960, 960),
    "ring_fix_modes_mean": at_least(7.5),
    "ring_fix_modes_min": between(8, 8),
    "ring_fix_high_quality_mean": at_least(0.85),
    "ring_fix_high_quality_min": between(0.8, 1.0),
    "ring_fix_high_quality_max": between(0.85, 1.0),
    "ring_gan_modes_mean": between(8, 8),
    "ring_gan_modes_min": between(8, 8),
    "ring_gan_high_quality_mean": at_least(0.85),
    "ring_gan_high_quality_min": between(0.8, 1.0),
    "ring_gan_high_quality_max": between(0.85, 1.0),
    "ring_quality_gap": between(0.0, 10.0),
    # During training (checkpoints every 40 steps): every seed of both arms drops below 8
    # modes ("falling ... to N or fewer"), some to very few; all eight on every seed and
    # arm from a step after the decay begins ("shortly after it"). The snapshot seed's
    # lowest count, before the decay, is 0 ("none is within 0.06 of a centre", "0 modes")
    # while all 8 regions hold >= 2% ("go round the whole circle"). Regions emptied at some
    # checkpoint before the decay on at least one seed of each arm ("collapses in both
    # arms"; "as few as N regions reaching it").
    "ring_trace_fewest_modes_max": at_most(5),
    "ring_trace_fewest_modes": at_most(2),
    "ring_all_modes_from": between(961, 1080),
    "ring_worst_seed": between(0, 4),
    "ring_worst_step": between(40, 960),
    "ring_worst_modes": between(0, 0),
    "ring_worst_regions": between(8, 8),
    "ring_gan_seeds_collapsed": between(1, 5),
    "ring_gan_fewest_regions": at_most(7),
    "ring_fix_seeds_collapsed": between(1, 5),
    "ring_fix_fewest_regions": at_most(7),
    # At the end every region of every run holds at least this share, above the 2% line.
    "ring_end_smallest_share": at_least(0.02),
    # The discriminator's edge, mean D(x) - mean D(G(z)) up to the decay, on the snapshot
    # seed: the plain GAN's "keeps an edge", the packed GAN's curves "closer to one half".
    "fail_plain_gap": between(0.05, 0.2),
    "fail_packed_gap": between(0.0, 0.05),
    # The ring with a weaker recipe (ReLU generators, batches of 128, 400 steps), same
    # seeds, plain against packed: the plain GAN ends short of 8 modes on several seeds,
    # packing covers at least 7 on every seed and more on average, neither with many
    # high-quality samples ("coverage, not quality").
    "ring_short_steps": between(400, 400),
    "ring_short_gan_seeds_missing": at_least(2),
    "ring_short_gan_modes_min": at_most(5),
    "ring_short_gan_modes_mean": at_most(6.5),
    "ring_short_pack_modes_min": at_least(7),
    "ring_short_pack_modes_mean": at_least(7.5),
    "ring_short_gan_high_quality_mean": at_most(0.2),
    "ring_short_pack_high_quality_mean": at_most(0.2),
    # Grid of 25, seed 0, the short runs' recipe: "neither arm learns the grid": some
    # modes, not all, and "only" a few percent of samples within 0.15 of a centre.
    "grid_gan_modes": between(10, 24),
    "grid_fix_modes": between(10, 24),
    "grid_gan_high_quality": at_most(0.05),
    "grid_fix_high_quality": at_most(0.05),
    # ConvTranspose2d is Conv2d's adjoint: "differ by at most" float64 rounding.
    "adjoint_gap": at_most(1e-12),
    # Digits: all 1,797 images train the GAN; the scorer, and the generated digits scored
    # by it.
    "digits_n_images": between(1797, 1797),
    "digits_scorer_accuracy": at_least(0.93),
    "digits_gan_steps": between(800, 800),
    "digits_gan_high_confidence": between(0.3, 0.85),
    "digits_real_high_confidence": at_least(0.85),
    # "all ten classes", "at least 1% of the samples" each; counts out of 1,000.
    "digits_gan_classes_generated": between(10, 10),
    "digits_gan_smallest_class": between(10, 100),
    "digits_gan_largest_class": between(100, 1000),
    # Fréchet distances: real halves (sampling noise) against generated vs a real half;
    # "far from as well as the data does".
    "digits_gan_frechet": at_least(10),
    "digits_real_halves_frechet": between(0.5, 5),
    "digits_frechet_ratio": at_least(5),
    # A discriminator with a head start: the saturating loss moves the generator's mean
    # from -2 "only to" about -1; the non-saturating loss brings it "near the data's 2".
    "head_sat_first_d_fake": at_most(0.02),
    "head_sat_mean": between(-2, 0),
    "head_nonsat_mean": between(1.5, 2.5),
    # Exercise solutions.
    "ex1_value": between(-1.3863, -1.3862),
    "ex2_root_low": between(0.72, 0.725),
    "ex2_root_high": between(5.15, 5.17),
    "ex3_inputs": between(8, 8),
    "ex3_scores": between(32, 32),
}
