package signing

import (
	"fmt"
	"time"
)

// DateFormat is the ISO 8601 basic form every SDK but Node sends in
// x-amz-pay-date and every Amazon Pay timestamp uses.
const DateFormat = "20060102T150405Z"

// dateFormatExtended is the form the Node SDK sends.
const dateFormatExtended = "2006-01-02T15:04:05Z"

// FormatDate renders t in UTC in the basic form.
func FormatDate(t time.Time) string { return t.UTC().Format(DateFormat) }

// ParseDate accepts both forms seen on the wire: 20240102T030405Z and
// 2024-01-02T03:04:05Z.
func ParseDate(s string) (time.Time, error) {
	for _, layout := range []string{DateFormat, dateFormatExtended} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("signing: date %q is neither %s nor %s", s, DateFormat, dateFormatExtended)
}
