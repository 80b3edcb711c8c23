"""Human bodies in two halves: `baked` is what render nodes use (the baked-body file, loaded with numpy, and
the cache of them), `baking` is what makes them (the anny provider, fitting to the canonical skeleton, the
baker process; the only render-side code that imports torch)."""
