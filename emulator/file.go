package emulator

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// Files: the two-step upload of dispute evidence. Upload File (POST /v2/files
// with {type, purpose}) answers a File object whose url is a pre-signed
// upload address; the merchant then PUTs the bytes there. The emulator serves
// that address itself (PUT /_emulator/files/{fileId}/contents?token=…), keeps
// the bytes in memory, and the file id is accepted as evidence by Contest
// Dispute once the bytes have arrived.

// fileTypes maps the accepted file types to the Content-Type Amazon expects
// for them.
var fileTypes = map[string]string{
	"csv":  "text/csv",
	"pdf":  "application/pdf",
	"xls":  "application/vnd.ms-excel",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"doc":  "application/msword",
	"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"ods":  "application/vnd.oasis.opendocument.spreadsheet",
	"jpg":  "image/jpeg",
	"png":  "image/png",
}

// codeInvalidAuthentication answers a pre-signed URL with a wrong token or
// past its expiry (Amazon's 403 for failed authentication).
const codeInvalidAuthentication = "InvalidAuthentication"

// filePurposes are the accepted purposes.
var filePurposes = []string{"disputeEvidence"}

const (
	// fileURLLifetime is how long an upload URL stays valid (Amazon does not
	// document it; S3 pre-signed URLs commonly last 15 minutes).
	fileURLLifetime = 15 * time.Minute
	// maxFileBytes caps an uploaded file; the emulator keeps files in memory.
	maxFileBytes = 5 << 20
)

// File is an uploaded (or announced) evidence file.
type File struct {
	Owner
	FileID     string    `json:"fileId"`
	Type       string    `json:"type"`
	Purpose    string    `json:"purpose"`
	Token      string    `json:"token"` // the secret part of the upload URL
	Content    []byte    `json:"content"`
	Uploaded   bool      `json:"uploaded"`
	Created    time.Time `json:"created"`
	UploadTime time.Time `json:"uploadTime"`
	URLExpires time.Time `json:"urlExpires"`
}

// uploadFileIn is the Upload File body.
type uploadFileIn struct {
	Type    *string `json:"type"`
	Purpose *string `json:"purpose"`
}

// validateUploadFile checks an Upload File body.
func validateUploadFile(in *uploadFileIn) (fileType, purpose string, err *apiError) {
	if in.Type == nil || *in.Type == "" {
		return "", "", errMissing("type")
	}
	if _, known := fileTypes[*in.Type]; !known {
		return "", "", errInvalidValue("type", *in.Type)
	}
	if in.Purpose == nil || *in.Purpose == "" {
		return "", "", errMissing("purpose")
	}
	if !isOneOf(*in.Purpose, filePurposes) {
		return "", "", errInvalidValue("purpose", *in.Purpose)
	}
	return *in.Type, *in.Purpose, nil
}

// newFileID returns a file id in the documented shape (file_ and random
// lowercase letters).
func newFileID() string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return "file_" + string(b)
}

// newURLToken returns the unguessable part of a pre-signed URL.
func newURLToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// fileEvidenceCheck returns the check Contest Dispute uses for a fileId: the
// file must be the caller's, meant as dispute evidence, and uploaded.
func fileEvidenceCheck(files map[string]*File, owner Owner) func(string) *apiError {
	return func(id string) *apiError {
		f, found := files[id]
		if !found || f.Owner != owner {
			return errorf(http.StatusBadRequest, codeInvalidParameterValue, "The value '%s' provided for 'fileId' is invalid: no such file.", truncate(id, 64))
		}
		if !f.Uploaded {
			return errorf(http.StatusBadRequest, codeInvalidParameterValue, "The value '%s' provided for 'fileId' is invalid: the file content was not uploaded.", id)
		}
		return nil
	}
}

// fileWire is the File object on the wire.
type fileWire struct {
	ID                     string  `json:"id"`
	Type                   string  `json:"type"`
	Purpose                string  `json:"purpose"`
	Size                   *int    `json:"size"`
	UploadTimestamp        *string `json:"uploadTimestamp"`
	URL                    *string `json:"url"`
	URLExpirationTimestamp *string `json:"urlExpirationTimestamp"`
}

// wire renders the file; baseURL is where the caller reached the emulator.
// url is the pre-signed address the bytes go to (PUT) and can be read back
// from (GET) until urlExpirationTimestamp; size is null until they arrive.
func (f *File) wire(baseURL string) fileWire {
	u := baseURL + "/_emulator/files/" + f.FileID + "/contents?token=" + f.Token
	w := fileWire{
		ID: f.FileID, Type: f.Type, Purpose: f.Purpose,
		UploadTimestamp:        wireTime(f.Created),
		URL:                    &u,
		URLExpirationTimestamp: wireTime(f.URLExpires),
	}
	if f.Uploaded {
		n := len(f.Content)
		w.Size = &n
	}
	return w
}

// uploadFile is Upload File (POST /v2/files).
func (s *Server) uploadFile(r *request) response {
	var in uploadFileIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	typ, purpose, err := validateUploadFile(&in)
	if err != nil {
		return fail(err)
	}
	f := &File{
		Owner: r.Owner, FileID: newFileID(), Type: typ, Purpose: purpose, Token: newURLToken(),
		Created: r.Now, URLExpires: r.Now.Add(fileURLLifetime),
	}
	for s.st.Files[f.FileID] != nil {
		f.FileID = newFileID()
	}
	s.st.Files[f.FileID] = f
	return ok(http.StatusOK, f.wire(r.BaseURL))
}

// registerContent serves the URLs the emulator hands out: pre-signed file
// uploads and report documents (unsigned, like S3 URLs, and authenticated
// by the token in the query) and the claim page of a merchant account.
func (s *Server) registerContent(mux *http.ServeMux) {
	mux.HandleFunc("PUT /_emulator/files/{fileId}/contents", s.putFileContents)
	mux.HandleFunc("GET /_emulator/files/{fileId}/contents", s.getFileContents)
	mux.HandleFunc("GET /_emulator/report-documents/{reportDocumentId}/contents", s.getReportDocumentContents)
	mux.HandleFunc("GET /_emulator/merchantAccounts/{merchantAccountId}/claim", s.getClaimStatus)
}

// presignedFile finds the file a pre-signed URL names and checks its token
// and expiry at now.
func (s *Server) presignedFile(r *http.Request, now time.Time) (*File, *apiError) {
	id := r.PathValue("fileId")
	f := s.st.Files[id]
	if f == nil || !tokenEqual(f.Token, r.URL.Query().Get("token")) {
		return nil, errorf(http.StatusForbidden, codeInvalidAuthentication, "The URL is not valid.")
	}
	if !now.Before(f.URLExpires) {
		return nil, errorf(http.StatusForbidden, codeInvalidAuthentication, "The URL expired at %s.", *wireTime(f.URLExpires))
	}
	return f, nil
}

// putFileContents receives the bytes of an announced file. The
// Content-Type must be the one of the announced type.
func (s *Server) putFileContents(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r, maxFileBytes)
	if err != nil {
		writeResponse(w, fail(err))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.now()
	s.runDue(now)
	f, err := s.presignedFile(r, now)
	if err != nil {
		writeResponse(w, fail(err))
		return
	}
	if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); strings.TrimSpace(ct) != fileTypes[f.Type] {
		writeResponse(w, fail(errorf(http.StatusBadRequest, codeInvalidHeaderValue,
			"The Content-Type '%s' does not match the file type %s (expected %s).", truncate(ct, 64), f.Type, fileTypes[f.Type])))
		return
	}
	if len(body) == 0 {
		writeResponse(w, fail(errorf(http.StatusBadRequest, codeInvalidRequestFormat, "The file is empty.")))
		return
	}
	f.Content, f.Uploaded, f.UploadTime = body, true, now
	s.markDirty()
	writeResponse(w, ok(http.StatusOK, nil))
}

// getFileContents returns an uploaded file's bytes while its URL is valid.
func (s *Server) getFileContents(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	now := s.clock.now()
	s.runDue(now)
	f, err := s.presignedFile(r, now)
	var content []byte
	var ctype string
	if err == nil && !f.Uploaded {
		err = errorf(http.StatusNotFound, codeResourceNotFound, "The file content was not uploaded.")
	}
	if err == nil {
		content, ctype = f.Content, fileTypes[f.Type]
	}
	s.mu.Unlock()
	if err != nil {
		writeResponse(w, fail(err))
		return
	}
	w.Header().Set("Content-Type", ctype)
	_, _ = w.Write(content)
}

// tokenEqual compares URL tokens in constant time.
func tokenEqual(want, got string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}
