package statementpage

import (
	"strings"
	"testing"
)

func TestHead(t *testing.T) {
	tp := Parse(`{{template "head" .Head}}<body>{{add 1 2}} {{subtract 1 2}} {{twice 2}}</body>`, map[string]any{"twice": func(n int) int { return 2 * n }})
	var b strings.Builder
	err := tp.Execute(&b, struct{ Head Head }{NewHead("Usage of <a&b>", 150, "  .x { color: red; }")})
	if err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n",
		`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;;`,
		"<title>Usage of &lt;a&amp;b&gt;</title>\n",
		"min-width: 150px;",
		"  .empty { color: #7b8794; font-style: italic; }\n  .x { color: red; }\n  .mono {",
		"</style>\n</head>\n<body>3 -1 4</body>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q:\n%s", want, page)
		}
	}
}

func TestTicks(t *testing.T) {
	for v, want := range map[float64]float64{0: 0.25, 0.3: 0.5, 1: 1, 1.5: 2, 3: 5, 7: 10, 120: 200} {
		if got := NiceStep(v); got != want {
			t.Errorf("NiceStep(%v) = %v, want %v", v, got, want)
		}
	}
	if FormatTick(3) != "3" || FormatTick(2.5) != "2.50" || Round1(1.26) != 1.3 {
		t.Errorf("FormatTick/Round1: %q %q %v", FormatTick(3), FormatTick(2.5), Round1(1.26))
	}
}
