module github.com/camgate/camgate

go 1.26.8

require github.com/asticode/go-astiav v0.39.0

require (
	github.com/asticode/go-astikit v0.42.0 // indirect
	github.com/stretchr/testify v1.12.0 // indirect
)
