// Package s3 implements playhead.ObjectStore over a bucket of an
// S3-compatible object store (AWS S3, MinIO, Cloudflare R2, Ceph,
// versitygw), with every key under a prefix.
//
// It speaks S3 through minio-go (github.com/minio/minio-go/v7, Apache-2.0):
// one module with about ten small dependencies, maintained by MinIO, tested
// against AWS and the S3-compatible servers, with the credential chain and
// retries this package needs built in. aws-sdk-go-v2 would bring a dozen
// modules (config, credentials, s3, smithy and its internals) for the same
// three calls, and gocloud.dev/blob puts its portable layer over that SDK and
// brings the Azure and Google Cloud clients along as well.
//
// Credentials come, first found first used, from AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN for temporary ones), from
// the shared credentials file (~/.aws/credentials, or
// AWS_SHARED_CREDENTIALS_FILE, profile AWS_PROFILE), or from the instance
// or container role (EC2 instance metadata, ECS and EKS task roles, web
// identity tokens); never from a URL, which ends up in logs and process
// listings.
//
// Every call has a timeout (Config.Timeout), retries included. minio-go
// retries a failed request (network errors, 5xx, 429, throttling codes) up
// to 10 times with exponential backoff and full jitter (200 ms doubling, at
// most 1 s between attempts); a request whose body cannot be replayed is not
// retried, and Put's always can.
package s3

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/objects/internal/objectkey"
)

var (
	_ playhead.ObjectStore  = (*Store)(nil)
	_ playhead.RangeReader  = (*Store)(nil)
	_ playhead.ObjectLister = (*Store)(nil)
)

// DefaultTimeout bounds one call when Config.Timeout is zero: long enough
// for a chunk of a few MiB over a slow link with its retries, short enough
// that a hung endpoint shows up in logs and errors rather than as a stall.
const DefaultTimeout = 30 * time.Second

// Config says which bucket to use and how to reach it. Credentials are not
// part of it: they come from the environment (see the package comment).
type Config struct {
	Bucket string
	// Prefix is put before every key (with a slash), so several Playhead
	// installations or other data can share a bucket.
	Prefix string
	// Endpoint is the server's host[:port]; empty means AWS S3.
	Endpoint string
	// Region is the bucket's region; empty asks the server once (which
	// needs s3:GetBucketLocation; an empty answer means us-east-1).
	Region string
	// PlainHTTP speaks HTTP instead of HTTPS (a server on the same host or
	// private network only: credentials are signed, data is not hidden).
	PlainHTTP bool
	// Addressing says how requests name the bucket.
	Addressing Addressing
	// Timeout bounds every call, retries included (DefaultTimeout when 0).
	// List applies it to each page of keys.
	Timeout time.Duration
}

// Addressing is how requests name the bucket: in the path
// (endpoint/bucket/key) or in the host name (bucket.endpoint/key).
type Addressing int

const (
	// AddressingAuto uses the host name for AWS and a few clouds known to
	// want it, and the path for every other endpoint.
	AddressingAuto Addressing = iota
	// AddressingPath names the bucket in the path (MinIO, Ceph, versitygw
	// and most self-hosted servers).
	AddressingPath
	// AddressingVirtualHost names the bucket in the host name.
	AddressingVirtualHost
)

// Store is a playhead.ObjectStore over one bucket. It is safe for
// concurrent use.
type Store struct {
	client   *minio.Client
	bucket   string
	prefix   string // "" or ending in "/"
	endpoint string // as shown in errors
	timeout  time.Duration
	region   string
	creds    string // where the credentials came from, for errors
}

// Open connects to the bucket that cfg names and checks it: a missing
// bucket, refused credentials and an endpoint that cannot be reached or does
// not answer each give an error saying which, so a wrong setting stops
// Playhead at start rather than at its first recording.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := s3utils.CheckValidBucketName(cfg.Bucket); err != nil {
		return nil, fmt.Errorf("object storage: bucket name %q: %v", cfg.Bucket, err)
	}
	prefix := strings.Trim(cfg.Prefix, "/")
	if prefix != "" {
		if err := objectkey.Check(prefix); err != nil {
			return nil, fmt.Errorf("object storage: key prefix %q: %v", cfg.Prefix, err)
		}
		prefix += "/"
	}
	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = "s3.amazonaws.com"
	}
	if strings.Contains(endpoint, "/") {
		return nil, fmt.Errorf("object storage: endpoint %q: want host[:port], without a scheme or path", cfg.Endpoint)
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	lookup := minio.BucketLookupAuto
	switch cfg.Addressing {
	case AddressingPath:
		lookup = minio.BucketLookupPath
	case AddressingVirtualHost:
		lookup = minio.BucketLookupDNS
	}
	creds, source, err := findCredentials()
	if err != nil {
		return nil, err
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds:        creds,
		Secure:       !cfg.PlainHTTP,
		Region:       cfg.Region,
		BucketLookup: lookup,
	})
	if err != nil {
		return nil, fmt.Errorf("object storage: endpoint %q: %v", endpoint, err)
	}
	s := &Store{
		client: client, bucket: cfg.Bucket, prefix: prefix, timeout: timeout,
		endpoint: client.EndpointURL().String(), region: cfg.Region, creds: source,
	}
	if err := s.check(ctx, creds); err != nil {
		return nil, err
	}
	return s, nil
}

// findCredentials returns the first credentials found and where they came
// from. Only the instance role needs the network, so it is checked by
// check.
func findCredentials() (*credentials.Credentials, string, error) {
	env := &credentials.EnvAWS{}
	if v, _ := env.Retrieve(); v.AccessKeyID != "" || v.SecretAccessKey != "" {
		if v.AccessKeyID == "" || v.SecretAccessKey == "" {
			return nil, "", errors.New("object storage: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither")
		}
		return credentials.New(env), "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", nil
	}
	file := &credentials.FileAWSCredentials{}
	if v, err := file.Retrieve(); err == nil && v.AccessKeyID != "" {
		return credentials.New(file), "the shared credentials file", nil
	}
	return credentials.NewIAM(""), roleSource, nil
}

// roleSource names credentials from an instance or container role.
const roleSource = "the instance or container role"

// check reads one key under the prefix: it proves the endpoint answers, the
// bucket exists and the credentials may list it.
func (s *Store) check(ctx context.Context, creds *credentials.Credentials) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if s.creds == roleSource {
		cc := s.client.CredContext()
		cc.Context = ctx
		v, err := creds.GetWithContext(cc)
		if err == nil && v.AccessKeyID == "" {
			err = errors.New("it gave no access key")
		}
		if err != nil {
			return fmt.Errorf("object storage: no credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "+
				"write a shared credentials file (~/.aws/credentials), or run with an instance or container role (asking for a role: %v)", err)
		}
	}
	var err error
	for obj := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix, Recursive: true, MaxKeys: 1}) {
		err = obj.Err
		break
	}
	if err == nil {
		return nil
	}
	where := fmt.Sprintf("bucket %q at endpoint %s", s.bucket, s.endpoint)
	var resp minio.ErrorResponse
	switch {
	case errors.As(err, &resp) && resp.Code == "NoSuchBucket":
		return fmt.Errorf("object storage: bucket %q does not exist at endpoint %s", s.bucket, s.endpoint)
	case errors.As(err, &resp) && (resp.Code == "AuthorizationHeaderMalformed" || resp.Code == "PermanentRedirect" ||
		resp.Code == "IllegalLocationConstraintException" || resp.Code == "InvalidRegion"):
		hint := "set the region parameter to the bucket's region"
		if resp.Region != "" {
			hint = fmt.Sprintf("the bucket is in %s: set region=%s", resp.Region, resp.Region)
		}
		return fmt.Errorf("object storage: %s refused region %q (%s: %s): %s", where, s.region, resp.Code, resp.Message, hint)
	case errors.As(err, &resp) && (refusedCredentials[resp.Code] || resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized):
		return fmt.Errorf("object storage: the credentials were refused for %s (%s: %s): they came from %s; "+
			"check them, and that they may list, read, write and delete objects in the bucket", where, resp.Code, resp.Message, s.creds)
	case errors.As(err, &resp):
		return fmt.Errorf("object storage: %s answered %s (HTTP %d): %s", where, resp.Code, resp.StatusCode, resp.Message)
	}
	return fmt.Errorf("object storage: %w", s.explain(ctx, err))
}

// refusedCredentials are the codes S3 servers answer unknown, wrong or
// expired credentials with.
var refusedCredentials = map[string]bool{
	"AccessDenied":          true,
	"InvalidAccessKeyId":    true,
	"SignatureDoesNotMatch": true,
	"InvalidToken":          true,
	"ExpiredToken":          true,
	"XAdminUserNotFound":    true, // versitygw, for an unknown access key (with HTTP 404)
}

// explain turns a transport error into one that says what went wrong.
func (s *Store) explain(ctx context.Context, err error) error {
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err // the request's URL says nothing the caller does not know
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
		return fmt.Errorf("endpoint %s did not answer within %s: %w", s.endpoint, s.timeout, err)
	case errors.As(err, &unknownCA), errors.As(err, &hostname):
		return fmt.Errorf("endpoint %s: its TLS certificate is not trusted: %w", s.endpoint, err)
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Errorf("endpoint %s speaks plain HTTP: add tls=false to the URL if that is intended: %w", s.endpoint, err)
	case errors.As(err, &dnsErr), errors.As(err, &opErr):
		return fmt.Errorf("cannot reach endpoint %s: %w", s.endpoint, err)
	}
	return err
}

// object returns the object name of key in the bucket.
func (s *Store) object(key string) (string, error) {
	if err := objectkey.Check(key); err != nil {
		return "", err
	}
	return s.prefix + key, nil
}

// callError wraps the error of one call on key with the operation and, for a
// timeout or a network failure, what happened.
func (s *Store) callError(ctx context.Context, op, key string, err error) error {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		return fmt.Errorf("%s %s: %s (HTTP %d): %w", op, key, resp.Code, resp.StatusCode, err)
	}
	return fmt.Errorf("%s %s: %w", op, key, s.explain(ctx, err))
}

// Put stores data under key. S3 acknowledges a PUT only once the object is
// stored durably, so a returned Put survives a crash of this node.
func (s *Store) Put(ctx context.Context, key string, data []byte) error {
	name, err := s.object(key)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	_, err = s.client.PutObject(ctx, s.bucket, name, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return s.callError(ctx, "put", key, err)
	}
	return nil
}

// Get returns the object stored under key, or an error wrapping
// playhead.ErrObjectNotFound.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	return s.get(ctx, key, minio.GetObjectOptions{})
}

// GetRange returns at most n bytes of the object under key from offset off
// (see playhead.RangeReader).
func (s *Store) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	if off < 0 || n <= 0 {
		return nil, fmt.Errorf("get %s: invalid range: offset %d, length %d", key, off, n)
	}
	var opts minio.GetObjectOptions
	if err := opts.SetRange(off, off+n-1); err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return s.get(ctx, key, opts)
}

func (s *Store) get(ctx context.Context, key string, opts minio.GetObjectOptions) ([]byte, error) {
	name, err := s.object(key)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	body, _, _, err := minio.Core{Client: s.client}.GetObject(ctx, s.bucket, name, opts)
	if err != nil {
		var resp minio.ErrorResponse
		switch {
		case errors.As(err, &resp) && resp.Code == "NoSuchKey":
			return nil, fmt.Errorf("get %s: %w", key, playhead.ErrObjectNotFound)
		case errors.As(err, &resp) && resp.Code == "InvalidRange":
			return nil, fmt.Errorf("get %s: range starts past the end of the object: %w", key, err)
		}
		return nil, s.callError(ctx, "get", key, err)
	}
	defer body.Close()
	data, err := io.ReadAll(body)
	if err != nil {
		return nil, s.callError(ctx, "get", key, err)
	}
	return data, nil
}

// Delete removes the object under key; deleting a missing key is not an
// error.
func (s *Store) Delete(ctx context.Context, key string) error {
	name, err := s.object(key)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err = s.client.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{})
	var resp minio.ErrorResponse
	if err != nil && !(errors.As(err, &resp) && resp.Code == "NoSuchKey") {
		return s.callError(ctx, "delete", key, err)
	}
	return nil
}

// List calls fn with every key that starts with prefix (see
// playhead.ObjectLister), in the bucket's (lexical) order. The timeout
// applies to each page of keys the server sends, not to the whole listing,
// and not to the time fn takes.
func (s *Store) List(ctx context.Context, prefix string, fn func(key string) error) error {
	if err := objectkey.CheckPrefix(prefix); err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	errTimeout := fmt.Errorf("endpoint %s sent no keys within %s", s.endpoint, s.timeout)
	timer := time.AfterFunc(s.timeout, func() { cancel(errTimeout) })
	defer timer.Stop()
	for obj := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
		timer.Stop()
		if obj.Err != nil {
			if context.Cause(ctx) == errTimeout {
				return fmt.Errorf("list %q: %w", prefix, errTimeout)
			}
			return s.callError(ctx, "list", fmt.Sprintf("%q", prefix), obj.Err)
		}
		// Keys ending in a slash are the folder markers of S3 consoles,
		// not objects a store could have put.
		if !strings.HasSuffix(obj.Key, "/") {
			if err := fn(strings.TrimPrefix(obj.Key, s.prefix)); err != nil {
				return err
			}
		}
		timer.Reset(s.timeout)
	}
	if context.Cause(ctx) == errTimeout {
		return fmt.Errorf("list %q: %w", prefix, errTimeout)
	}
	return ctx.Err()
}
