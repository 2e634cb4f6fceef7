package amazonpay

import "context"

// FileService registers evidence files for disputes.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-apis/file.html
type FileService service

// UploadFileRequest announces a file: its type (extension such as "jpg" or
// "pdf") and purpose (for example "disputeEvidence").
type UploadFileRequest struct {
	Type    string `json:"type"`
	Purpose string `json:"purpose"`
}

// File is the registered file. PUT the content to URL (a pre-signed
// address valid until URLExpirationTimestamp), then name ID in
// Evidence.FileID. Size and UploadTimestamp are set once the content
// arrived. The official SDKs do not model this object; the fields follow
// the apaykit emulator.
type File struct {
	ID                     string    `json:"id"`
	Type                   string    `json:"type,omitempty"`
	Purpose                string    `json:"purpose,omitempty"`
	Size                   int64     `json:"size,omitempty"`
	UploadTimestamp        Timestamp `json:"uploadTimestamp,omitzero"`
	URL                    string    `json:"url,omitempty"`
	URLExpirationTimestamp Timestamp `json:"urlExpirationTimestamp,omitzero"`
}

// Upload registers a file for dispute evidence.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-apis/file.html#upload-file
//
//amazonpay:operation POST /v2/files
func (s *FileService) Upload(ctx context.Context, req *UploadFileRequest, opts ...RequestOption) (*File, *Response, error) {
	switch {
	case req == nil:
		return nil, nil, &InputError{Field: "request", Reason: "is nil"}
	case req.Type == "":
		return nil, nil, &InputError{Field: "type", Reason: "is required"}
	case req.Purpose == "":
		return nil, nil, &InputError{Field: "purpose", Reason: "is required"}
	}
	return callInto[File](ctx, s.client, callSpec{op: "UploadFile", body: req}, opts)
}
