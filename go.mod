module github.com/apaykit/apaykit

go 1.26
