package serve_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/maskgit-go/maskgit/pipeline"
	"github.com/maskgit-go/maskgit/serve"
)

// noModel stands in for a *pipeline.Model; the example never reaches it.
type noModel struct{}

func (noModel) Inpaint(context.Context, []pipeline.Job, pipeline.InpaintOptions) ([]pipeline.Output, error) {
	return nil, fmt.Errorf("not reached")
}

// Bad input is answered with a 4xx and a JSON error naming the problem.
func Example() {
	srv, err := serve.New(noModel{}, serve.DefaultConfig(64))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	resp, err := http.Post(ts.URL+"/v1/inpaint", "text/plain", strings.NewReader("hello"))
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	fmt.Print(string(body))
	// Output:
	// 415
	// {"error":"Content-Type \"text/plain\": want multipart/form-data with a boundary (fields image, mask)","code":"bad_content_type"}
}
