"""Config + seed -> jobs: the dataset config, distributions, seeded streams, the job model, the planner (one
`sample_<axis>` function per job section) and the plan text written in chunks."""
