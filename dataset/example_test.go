package dataset_test

import (
	"fmt"
	"log"

	"github.com/synth-dev/synth/dataset"
)

// Read an eval set, list its items and the warnings a person should look at.
func ExampleReadEvalSet() {
	set, err := dataset.ReadEvalSet("testdata/evalset.jsonl")
	if err != nil {
		log.Fatal(err) // every error names file:line
	}
	for _, it := range set.Items {
		fmt.Printf("%s: %q answers=%q tags=%q\n", it.ID, it.Question, it.Answers, it.Tags)
	}
	fmt.Println("system prompt of item 3:", set.Items[2].Meta[dataset.MetaSystem])
	for _, w := range set.Warnings {
		fmt.Println("warning:", w)
	}
	// Output:
	// password-forgot: "forgot my password, what do i do" answers=["Go to https://nimbus.example/reset and follow the link we e-mail you."] tags=["account"]
	// q-e0be175736aa: "How many people can I add on the Team plan?" answers=["10" "ten"] tags=["billing" "plans"]
	// q-ae459247c764: "Can I get a refund?" answers=["Yes, within 14 days of purchase."] tags=[]
	// export-data: "How do I export all my files?" answers=[] tags=[]
	// system prompt of item 3: You are Nimbus support.
	// warning: testdata/evalset.jsonl:4: item "export-data" has no gold answer: only checks that need none (refusal, grounding, links) can grade it
}

// An interrupted run is finished by grading only what is left.
func ExamplePlanResume() {
	set, err := dataset.ReadEvalSet("testdata/evalset.jsonl")
	if err != nil {
		log.Fatal(err)
	}
	plan, err := dataset.PlanResume("testdata/run", set.Items, false)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("done:", len(plan.Done), "to do:", len(plan.Todo), "torn line dropped:", plan.Torn != nil)
	// Output:
	// done: 2 to do: 2 torn line dropped: true
}
