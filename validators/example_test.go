package validators_test

import (
	"context"
	"fmt"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/validators"
)

// Grade one answer with the default offline validators and the default label policy.
func Example() {
	reg := validators.Builtin()
	var vs []validators.Built
	for i, cfg := range validators.Defaults(validators.Available{}) {
		b, err := reg.Build(fmt.Sprintf("eval.validators[%d]", i), cfg, validators.Deps{})
		if err != nil {
			fmt.Println(err)
			return
		}
		vs = append(vs, b)
	}
	s := &dataset.Sample{
		Question:   "How long do refunds take?",
		Answer:     "Refunds usually arrive within five business days.",
		References: []string{"5 business days"},
	}
	outs, err := validators.Run(context.Background(), vs, s)
	if err != nil {
		fmt.Println(err)
		return
	}
	d := validators.DefaultPolicy().Decide(outs)
	fmt.Println(d.Label)
	fmt.Println(d.Reason)
	// Output:
	// correct
	// match: has all of the gold answer "5 business days"
}

func ExampleF1() {
	fmt.Printf("%.2f\n", validators.F1("Christopher Lloyd", []string{"Christopher Allen Lloyd", "Doc Brown"}))
	fmt.Println(validators.Normalize("The Eiffel Tower!"))
	// Output:
	// 0.80
	// eiffel tower
}

func ExampleExtractQuantities() {
	for _, q := range validators.ExtractQuantities("Refunds take 24 hours and cost $10/month.") {
		fmt.Printf("%s %s = %g\n", q.Dim, q.Text, q.Value)
	}
	// Output:
	// duration 24 hours = 86400
	// money:USD/month $10/month = 10
}

func ExampleExtractLinks() {
	for _, l := range validators.ExtractLinks("Go to Settings > Account > Delete account or see https://www.Example.com/help/.") {
		fmt.Printf("%s: %s\n", l.Kind, l.Norm)
	}
	// Output:
	// menu path: settings > account > delete account
	// link: example.com/help
}
