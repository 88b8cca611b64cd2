package cmdutil

import "github.com/spf13/pflag"

// AddGlobalFlags binds the flags every command takes to f: the whole kubectl set (--kubeconfig, --context, -n,
// …), --region and --profile for AWS, --no-color and --debug. The root command registers them as persistent
// flags; flag tests register them on their stand-in parent (plugin/cmdutil/cmdtest), so both parse alike.
func (f *Factory) AddGlobalFlags(fs *pflag.FlagSet) {
	f.KubeFlags.AddFlags(fs)
	fs.StringVar(&f.AWS.Region, "region", "", "AWS region (default: AWS_REGION or the profile's region)")
	fs.StringVar(&f.AWS.Profile, "profile", "", "AWS shared-config profile (default: AWS_PROFILE)")
	fs.BoolVar(&f.NoColor, "no-color", false, "disable colour (also NO_COLOR)")
	fs.BoolVar(&f.Verbose, "debug", false, "show more detail on errors")
}
