"""The batch driver's lockstep width, shared by the lane loops of surfaces and optimizers.

:func:`optviz.engine.simulate.simulate_batch` advances ``LANES`` runs together: their x coordinates,
then their y coordinates, side by side in one array. The lane loops
(:func:`optviz.engine.surfaces.evaluate_lanes`, :func:`optviz.engine.optimizers.update_lanes`) read this
constant, so LLVM sees a fixed trip count and fixed offsets and turns each loop into SIMD
code. 32 runs (64 coordinates, sixteen AVX2 registers of four) is the width that measured
fastest (README, core engine).
"""

LANES = 32
