package httplat

import "github.com/pcapmeter/pcapmeter/stats"

// CISeed seeds the bootstrap, so that the same capture gives the same
// intervals; reports state it.
const CISeed = 1

// enrich adds, for every server and the headline definition, the model
// fits (Options.Fit) and the bootstrap confidence intervals (Options.CI)
// for the mean and each percentile.
func enrich(res *Result, opt Options) {
	for _, s := range res.Servers {
		xs := s.Samples[opt.Definition]
		if opt.Fit {
			ms, err := stats.Fit(xs, opt.KL)
			s.Fit = ms
			if err != nil {
				s.FitError = err.Error()
			}
		}
		if opt.CI > 0 && len(xs) > 0 {
			b := stats.BootstrapCI(xs, opt.Percentiles, opt.CI, CISeed)
			s.CI = &b
		}
	}
}
