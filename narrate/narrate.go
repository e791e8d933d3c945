// Package narrate writes a short narrative of a session from its
// reproduction steps, with a language model the operator runs or rents
// behind an OpenAI-compatible chat completions endpoint (OpenAI, Azure
// OpenAI, Ollama, vLLM, LM Studio, llama.cpp's server…).
//
// It is off unless the operator configures an endpoint, and the steps
// never need it. What it sends is the steps' Markdown and nothing else:
// the steps are derived from the events as stored, after the SDK's masking
// and the server's scrubbing, so typed values, masked text and personal
// data are not in them, and the model cannot ask for more.
package narrate

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/playhead/playhead"
)

// Limits of one summary: the steps sent (the latest are kept, where a
// problem usually is), the words asked for, and how long the endpoint may
// take.
const (
	MaxInputBytes = 24 << 10
	maxTokens     = 400
	timeout       = 90 * time.Second
)

// instructions tell the model what to write.
const instructions = `You summarise a visit to a web application, recorded by a session replay tool, for the developer who has to fix what went wrong.
You are given the reproduction steps derived from the recording, in Markdown, with the time of each step. Typed values and private text were masked before you saw them.
Write two to four plain sentences: what the user was trying to do, what went wrong (errors, failed requests) and at which step. Name pages, buttons and fields as the steps do.
Do not invent anything the steps do not say, and do not give advice.`

// Config is how to reach the endpoint.
type Config struct {
	// Endpoint is the API's base URL, the one its paths such as
	// /chat/completions are under (https://api.openai.com/v1,
	// http://127.0.0.1:11434/v1 for Ollama).
	Endpoint string
	// Model is the model's name at the endpoint.
	Model string
	// APIKey is sent as a bearer token when set.
	APIKey string
}

// Narrator writes summaries with one endpoint and model.
type Narrator struct {
	cfg    Config
	host   string
	client openai.Client
}

// New checks c and returns its Narrator.
func New(c Config) (*Narrator, error) {
	u, err := url.Parse(c.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("summary endpoint %q is not an http(s) URL such as https://api.openai.com/v1", c.Endpoint)
	}
	if u.User != nil {
		return nil, fmt.Errorf("summary endpoint %q has a user name or password in it: give the key in PLAYHEAD_SUMMARY_API_KEY", u.Redacted())
	}
	if strings.TrimSpace(c.Model) == "" {
		return nil, errors.New("a summary endpoint needs a model (-summary-model)")
	}
	opts := []option.RequestOption{
		option.WithBaseURL(strings.TrimSuffix(c.Endpoint, "/") + "/"),
		option.WithRequestTimeout(timeout),
		option.WithMaxRetries(1),
	}
	if c.APIKey != "" {
		opts = append(opts, option.WithAPIKey(c.APIKey))
	} else {
		// The client would otherwise take OPENAI_API_KEY from the
		// environment: only what the operator gave Playhead is sent.
		opts = append(opts, option.WithAPIKey(""))
	}
	return &Narrator{cfg: c, host: u.Host, client: openai.NewClient(opts...)}, nil
}

// Model is the model's name.
func (n *Narrator) Model() string { return n.cfg.Model }

// Host is the endpoint's host, to tell people where the steps go.
func (n *Narrator) Host() string { return n.host }

// Prompt is what Summarize sends as the user's message for steps: the
// steps' Markdown, its start cut when it is longer than MaxInputBytes.
func Prompt(steps string) string {
	if len(steps) <= MaxInputBytes {
		return steps
	}
	cut := steps[len(steps)-MaxInputBytes:]
	if i := strings.IndexByte(cut, '\n'); i >= 0 {
		cut = cut[i+1:]
	}
	return "(The earlier steps are left out.)\n\n" + cut
}

// Summarize asks the model for a narrative of steps (Markdown, as
// reproduce.Steps.Markdown writes it).
func (n *Narrator) Summarize(ctx context.Context, steps string) (string, error) {
	res, err := n.client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model: n.cfg.Model,
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage(instructions),
			openai.UserMessage(Prompt(steps)),
		},
		MaxTokens:   openai.Int(maxTokens),
		Temperature: openai.Float(0.2),
	})
	if err != nil {
		var apiErr *openai.Error
		if errors.As(err, &apiErr) {
			return "", playhead.Errorf(playhead.EUNAVAILABLE, "the summary endpoint %s answered %d: %s", n.host, apiErr.StatusCode, firstLine(apiErr.Message))
		}
		return "", playhead.Errorf(playhead.EUNAVAILABLE, "the summary endpoint %s could not be reached: %v", n.host, err)
	}
	if len(res.Choices) == 0 || strings.TrimSpace(res.Choices[0].Message.Content) == "" {
		return "", playhead.Errorf(playhead.EUNAVAILABLE, "the summary endpoint %s answered with no text", n.host)
	}
	return strings.TrimSpace(res.Choices[0].Message.Content), nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}
