# -*- encoding: utf-8 -*-
# stub: fastthing 2.4.1 x86_64-linux lib

Gem::Specification.new do |s|
  s.name = "fastthing".freeze
  s.version = "2.4.1"
  s.platform = "x86_64-linux".freeze

  s.required_rubygems_version = Gem::Requirement.new(">= 0".freeze) if s.respond_to? :required_rubygems_version=
  s.require_paths = ["lib".freeze]
  s.authors = ["Test".freeze]
  s.date = "2026-12-02"
  s.licenses = ["MIT".freeze]
  s.rubygems_version = "3.3.15".freeze
  s.summary = "test gem with a platform".freeze

  s.installed_by_version = "3.3.15" if s.respond_to? :installed_by_version
end
