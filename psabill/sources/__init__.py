"""psabill.sources"""
